# Port of "Time Series Prediction With Deep Learning in Keras" (Machine Learning Mastery blog), by Jason Brownlee:
# the multilayer perceptron with a window of 3 past months on the international airline passengers series.
# Original: https://machinelearningmastery.com/time-series-prediction-with-deep-learning-in-python-with-keras/
# Ported by changing the import lines only; lines marked `glassnet-test:` say what else changed.
import os
import numpy
import matplotlib.pyplot as plt
from pandas import read_csv
import math
from glassnet.models import Sequential
from glassnet.layers import Dense


def create_dataset(dataset, look_back=1):
    dataX, dataY = [], []
    for i in range(len(dataset) - look_back - 1):
        a = dataset[i:(i + look_back), 0]
        dataX.append(a)
        dataY.append(dataset[i + look_back, 0])
    return numpy.array(dataX), numpy.array(dataY)


numpy.random.seed(7)
csv = os.path.join(os.environ["GLASSNET_DATA"], "timeseries", "airline-passengers.csv")  # glassnet-test: data location
dataframe = read_csv(csv, usecols=[1], engine='python')  # glassnet-test: 'airline-passengers.csv' in the original
dataset = dataframe.values
dataset = dataset.astype('float32')
train_size = int(len(dataset) * 0.67)
test_size = len(dataset) - train_size
train, test = dataset[0:train_size, :], dataset[train_size:len(dataset), :]
look_back = 3
trainX, trainY = create_dataset(train, look_back)
testX, testY = create_dataset(test, look_back)

model = Sequential()
model.add(Dense(12, input_dim=look_back, activation='relu'))
model.add(Dense(8, activation='relu'))
model.add(Dense(1))
model.compile(loss='mean_squared_error', optimizer='adam')
model.fit(trainX, trainY, epochs=40, batch_size=2, verbose=2)  # glassnet-test: smaller (400 epochs in the original)

trainScore = model.evaluate(trainX, trainY, verbose=0)
print('Train Score: %.2f MSE (%.2f RMSE)' % (trainScore, math.sqrt(trainScore)))
testScore = model.evaluate(testX, testY, verbose=0)
print('Test Score: %.2f MSE (%.2f RMSE)' % (testScore, math.sqrt(testScore)))
trainPredict = model.predict(trainX)
testPredict = model.predict(testX)
trainPredictPlot = numpy.empty_like(dataset)
trainPredictPlot[:, :] = numpy.nan
trainPredictPlot[look_back:len(trainPredict) + look_back, :] = trainPredict
testPredictPlot = numpy.empty_like(dataset)
testPredictPlot[:, :] = numpy.nan
testPredictPlot[len(trainPredict) + (look_back * 2) + 1:len(dataset) - 1, :] = testPredict
plt.plot(dataset)
plt.plot(trainPredictPlot)
plt.plot(testPredictPlot)
plt.show()
